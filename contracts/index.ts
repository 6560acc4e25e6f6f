// The published contract suites of plugsocket (`plugsocket/contracts`). Adapter authors call
// these inside their own test files, under mocha, node:test, vitest or jest (see
// `options.runner`). Named exports only.

export {
  describeTransportContract,
  type ContractConnectOptions,
  type TransportContractOptions,
} from './transport-contract.js';
export type { FaultEndpoint, FaultTierOptions } from './transport-options.js';
export type {
  ContractLevel,
  ContractOutcome,
  ContractReport,
  ContractReportOption,
  ContractTally,
  ContractTestResult,
  ContractTestSpec,
} from './audit.js';
export type { ReportTarget } from './report.js';
export type { TestRunner } from './runner.js';
export { describeLayerContract, type LayerContractOptions } from './layer-contract.js';
export {
  describeBackplaneContract,
  type BackplaneContractCluster,
  type BackplaneContractOptions,
  type BackplaneContractTimeouts,
  type BackplaneFaultHook,
} from './backplane-contract.js';
export {
  describeProtocolConformance,
  type HandshakeCredentials,
  type ProtocolConformanceOptions,
} from './protocol-conformance.js';
export {
  FaultProxy,
  type FaultProxyOptions,
  type FaultProxyAddress,
  type FaultProxyStats,
  type RandomCutOptions,
  type FlowDirection,
  type DirectionOption,
  type ProxySide,
} from './fault/fault-proxy.js';
