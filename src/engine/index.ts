// Public surface of the engine layer. The SSH transport is reachable from
// here without cost: ssh2 itself is loaded only when a connection opens.

export { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions, negotiateApiVersion } from './api-version.js';
export { demultiplex, FrameParser, type Frame, type FrameStream } from './demux.js';
export { DEFAULT_DOCKER_SOCKET, endpointUrl, parseDockerHost, type LocalEndpoint } from './docker-host.js';
export {
  HttpEngineClient,
  type EngineClient,
  type ListContainersOptions,
  type PingResult,
} from './engine-client.js';
export type {
  ArchiveUpload,
  BuildHostOptions,
  ContainerLogsOptions,
  EngineFilters,
  EngineOperations,
  ExecCreateOptions,
  ImageBuildOptions,
  ImagePullOptions,
  RemoveOptions,
} from './engine-operations.js';
export { EngineApiError, isEngineApiError, streamBrokenError } from './engine-errors.js';
export {
  buildQueryString,
  readBody,
  type BodySource,
  type EngineRequest,
  type EngineResponse,
  type HijackedConnection,
  type Query,
  type QueryValue,
} from './http-client.js';
export { joinStreams, pipeThrough } from './join-streams.js';
export { describeEngineProduct, engineProduct, type EngineProduct, type EngineProductName } from './engine-product.js';
export { openLocalEngine } from './local-engine.js';
export { socketAnswers } from './local-agent-forward.js';
export type { ContainerInspect, ContainerSummary, EngineInfo, EngineVersion, ExecInspect, ImageInspect, ImageSummary, NetworkSettings, NetworkSummary, VolumeInspect } from './schemas.js';
export type { SshEngineOptions } from './ssh-engine.js';
export { findSshEngineSocket, openLiveWarmEngine, openSshEngine, openWarmEngine } from './ssh-engine-lazy.js';
export type { HolderLauncher, WarmEngine, WarmEngineOptions } from './warm-engine.js';
export { controlRequest, helloOf, idleSeconds, nobodyListens, persistenceDisabled, warmPaths, warmRunDir, type HolderHello } from './warm-protocol.js';
export type { EngineKind, EngineTransport } from './transport.js';
export type { ToolEndpoint } from './tool-endpoint.js';
