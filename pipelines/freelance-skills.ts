/**
 * The freelance platform's skill catalog: canonical skill names, their category, and the spellings
 * exports use for them. Plain data plus one pure function, shared by the profile and invoice
 * pipelines (and the data generator, which writes the messy spellings).
 */

/** Skill categories, as the resources dashboard groups them. */
export const SkillCategory = {
  FRONTEND: 'frontend',
  BACKEND: 'backend',
  DATA: 'data',
  CLOUD: 'cloud_devops',
  DESIGN: 'design',
  MANAGEMENT: 'management',
  OTHER: 'other',
} as const;
export type SkillCategory = (typeof SkillCategory)[keyof typeof SkillCategory];

/** Canonical skill → category and accepted aliases (compared case-, accent- and space-insensitively). */
export const SKILLS: Readonly<Record<string, { readonly category: SkillCategory; readonly aliases: readonly string[] }>> = {
  React: { category: SkillCategory.FRONTEND, aliases: ['reactjs', 'react.js'] },
  'Vue.js': { category: SkillCategory.FRONTEND, aliases: ['vue', 'vuejs'] },
  Angular: { category: SkillCategory.FRONTEND, aliases: ['angularjs'] },
  TypeScript: { category: SkillCategory.FRONTEND, aliases: ['ts'] },
  'Node.js': { category: SkillCategory.BACKEND, aliases: ['node', 'nodejs'] },
  Java: { category: SkillCategory.BACKEND, aliases: ['java ee', 'jee'] },
  Python: { category: SkillCategory.BACKEND, aliases: [] },
  Go: { category: SkillCategory.BACKEND, aliases: ['golang'] },
  PHP: { category: SkillCategory.BACKEND, aliases: ['symfony'] },
  PostgreSQL: { category: SkillCategory.DATA, aliases: ['postgres', 'postgre sql'] },
  Spark: { category: SkillCategory.DATA, aliases: ['apache spark', 'pyspark'] },
  dbt: { category: SkillCategory.DATA, aliases: [] },
  'Power BI': { category: SkillCategory.DATA, aliases: ['powerbi'] },
  'Machine Learning': { category: SkillCategory.DATA, aliases: ['ml', 'apprentissage automatique'] },
  AWS: { category: SkillCategory.CLOUD, aliases: ['amazon web services'] },
  Azure: { category: SkillCategory.CLOUD, aliases: ['microsoft azure'] },
  Kubernetes: { category: SkillCategory.CLOUD, aliases: ['k8s'] },
  Terraform: { category: SkillCategory.CLOUD, aliases: [] },
  Figma: { category: SkillCategory.DESIGN, aliases: [] },
  'UX Research': { category: SkillCategory.DESIGN, aliases: ['ux', 'recherche utilisateur'] },
  'Scrum Master': { category: SkillCategory.MANAGEMENT, aliases: ['scrum'] },
  'Product Owner': { category: SkillCategory.MANAGEMENT, aliases: ['po', 'product ownership'] },
};

/** Case-, accent- and whitespace-insensitive form of a skill name, for lookups. */
export function skillLookupKey(raw: string): string {
  return raw
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

const BY_KEY = new Map<string, string>();
for (const [name, { aliases }] of Object.entries(SKILLS)) {
  BY_KEY.set(skillLookupKey(name), name);
  for (const a of aliases) BY_KEY.set(skillLookupKey(a), name);
}

/**
 * The canonical skill for a spelling (`" react "`, `REACT`, `reactjs` → `React`) and its category;
 * a skill outside the catalog keeps its trimmed spelling (spaces collapsed) in category `other`.
 * Returns undefined for an empty name.
 */
export function normaliseSkill(raw: string): { skill: string; category: SkillCategory } | undefined {
  const key = skillLookupKey(raw);
  if (key === '') return undefined;
  const name = BY_KEY.get(key);
  if (name) return { skill: name, category: SKILLS[name]!.category };
  return { skill: raw.replace(/\s+/g, ' ').trim(), category: SkillCategory.OTHER };
}
