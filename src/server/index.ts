// The running service: gRPC (ext_authz, ext_proc, health) and operations HTTP listeners.
export { GatewayService, type ListeningAddresses, type ServiceOptions } from './service.js';
export { GrpcListener, HEALTH_SERVICES, grpcMessageLimit } from './grpcServer.js';
export { subjectAltNames } from './grpcTls.js';
export { OpsListener, type Readiness } from './httpServer.js';
