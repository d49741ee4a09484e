/**
 * Freelance platform alerts for operators' tools (the demo, the CLI): the evaluation itself lives in
 * activities/freelance-alerts.ts, where the worker runs it after every load of `freelance_revenue`.
 */
export { evaluateFreelanceAlerts, FreelanceAlertParamError, type FreelanceAlertOptions, type FreelanceAlertResult } from '../activities/freelance-alerts';
