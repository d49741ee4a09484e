/**
 * Server-rendered HTML: a tagged template that escapes every interpolated value (so nothing from a
 * URL, the ledger or a quarantined row can inject markup), and the page layout.
 */

/** Markup that is already safe (built by `html` or `raw`). */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

/** `html\`<p>${text}</p>\``: interpolations are escaped unless they are Html (arrays are joined). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Trusted markup (use only for constants). */
export function raw(s: string): Html {
  return new Html(s);
}

/** JSON for a `<script type="application/json">` block: `<` escaped so it cannot close the tag. */
export function jsonScript(id: string, value: unknown): Html {
  return new Html(`<script type="application/json" id="${escapeHtml(id)}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`);
}

/** Navigation entries of the layout. */
export interface NavInfo {
  readonly pipelines: readonly string[];
  readonly dashboards: readonly { name: string; title: string }[];
  readonly actionsEnabled: boolean;
}

/**
 * A full page: header with navigation, the body, and the scripts it needs (served by the console),
 * or, with `inline`, the stylesheet and scripts in the page itself (one request: the partition map).
 */
export function page(opts: { title: string; nav: NavInfo; body: Html; scripts?: readonly string[]; inline?: { css: string; js: readonly string[] } }): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} · DataPulse</title><link rel="icon" href="data:,">${opts.inline ? raw(`<style>${opts.inline.css}</style>`) : raw('<link rel="stylesheet" href="/assets/style.css">')}</head>
<body><header><a class="brand" href="/">DataPulse</a>
<nav aria-label="main"><a href="/">Overview</a>${opts.nav.pipelines.map((p) => html` <a href="/pipelines/${p}">${p}</a>`)}
 <a href="/backfills">Backfills</a>${opts.nav.dashboards.map((d) => html` <a href="/dashboards/${d.name}">${d.title}</a>`)}</nav>
<span class="mode">${opts.nav.actionsEnabled ? 'actions enabled' : 'read-only'}</span></header>
<main>${opts.body}</main>
${(opts.scripts ?? []).map((s) => html`<script src="${s}"></script>`)}${(opts.inline?.js ?? []).map((js) => raw(`<script>${js.replace(/<\/script/gi, '<\\/script')}</script>`))}
</body></html>`.value;
}
