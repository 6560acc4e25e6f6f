// The published contract suites of plugsocket (`plugsocket/contracts`). Adapter authors call
// these inside their own mocha test files. Named exports only; the layer contract (the domain's
// behaviour end to end over a transport) will join the transport contract here.

export {
  describeTransportContract,
  type ContractConnectOptions,
  type TransportContractOptions,
} from './transport-contract.js';
export { describeLayerContract, type LayerContractOptions } from './layer-contract.js';
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
