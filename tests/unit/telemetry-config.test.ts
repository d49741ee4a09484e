/**
 * Proves how the environment turns tracing on and where spans go: off unless an OTLP endpoint or the
 * console flag is set (and OTEL_SDK_DISABLED wins), the standard OTLP variables build the traces URL,
 * and an OTLP protocol DataPulse does not ship is refused with a message naming the fix.
 */
import { describe, expect, it } from 'vitest';
import { otlpTracesUrl, startTelemetry, TelemetryConfigError, tracingRequested } from '../../infra/telemetry';

describe('tracing configuration', () => {
  it('is off without an endpoint or the console flag', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ DATAPULSE_TRACE_CONSOLE: '0' })).toBe(false);
    expect(tracingRequested({ DATAPULSE_TRACE_CONSOLE: 'false' })).toBe(false);
    const t = startTelemetry({ serviceName: 'x', env: {} });
    expect(t.enabled).toBe(false);
  });

  it('is on with OTEL_EXPORTER_OTLP_ENDPOINT or DATAPULSE_TRACE_CONSOLE=1, unless OTEL_SDK_DISABLED', () => {
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe(true);
    expect(tracingRequested({ DATAPULSE_TRACE_CONSOLE: '1' })).toBe(true);
    expect(tracingRequested({ DATAPULSE_TRACE_CONSOLE: '1', OTEL_SDK_DISABLED: 'true' })).toBe(false);
  });

  it('builds the OTLP/HTTP traces URL from the standard variables', () => {
    expect(otlpTracesUrl({})).toBeUndefined();
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318' })).toBe('http://otel-collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318/' })).toBe('http://otel-collector:4318/v1/traces');
    expect(otlpTracesUrl({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/traces' })).toBe('http://b:9999/traces');
  });

  it('refuses OTLP over gRPC, naming what works', () => {
    expect(() => startTelemetry({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).toThrow(TelemetryConfigError);
    expect(() => startTelemetry({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } })).toThrow(/http\/protobuf/);
  });
});
