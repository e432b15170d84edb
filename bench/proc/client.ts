// gRPC clients for Envoy's two services, with the official protos, as Envoy's side of the wire.
// Several channels (separate HTTP/2 connections) model Envoy's worker threads; requests go round robin.
import * as grpc from '@grpc/grpc-js';
import { loadEnvoyServices, type CheckRequest, type CheckResponse, type ProcessingRequest, type ProcessingResponse } from '../../src/envoy/index.js';

type AuthzClient = grpc.Client & { Check(req: CheckRequest, cb: (err: grpc.ServiceError | null, res: CheckResponse) => void): void };
type ProcClient = grpc.Client & { Process(): grpc.ClientDuplexStream<ProcessingRequest, ProcessingResponse> };

export interface EnvoyClients {
  check(req: CheckRequest): Promise<CheckResponse>;
  /** One ext_proc stream: each message waits for its reply, then half-close and wait for the status. */
  process(messages: readonly ProcessingRequest[]): Promise<ProcessingResponse[]>;
  close(): void;
}

/**
 * `rotateAfter`: a new connection after that many ext_proc streams on one, as the shipped Envoy
 * config does (max_requests_per_connection 500, see docs/deployment.md).
 */
export function envoyClients(target: string, channels = 1, rotateAfter = 500): EnvoyClients {
  const services = loadEnvoyServices();
  // A local subchannel pool per client: separate connections even for the same target.
  const options = { 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': 8 * 1024 * 1024 };
  const newAuthz = () => new services.authorization(target, grpc.credentials.createInsecure(), options) as unknown as AuthzClient;
  const newProc = () => new services.externalProcessor(target, grpc.credentials.createInsecure(), options) as unknown as ProcClient;
  const authz = Array.from({ length: channels }, newAuthz);
  const procs = Array.from({ length: channels }, () => ({ client: newProc(), streams: 0 }));
  let nextAuthz = 0;
  let nextProc = 0;
  const retired: ProcClient[] = [];

  const procClient = (): ProcClient => {
    const slot = procs[nextProc++ % procs.length]!;
    if (slot.streams >= rotateAfter) {
      const old = slot.client;
      retired.push(old);
      // Let in-flight streams on the old connection finish, then close it.
      setTimeout(() => old.close(), 2000).unref();
      slot.client = newProc();
      slot.streams = 0;
    }
    slot.streams++;
    return slot.client;
  };

  return {
    check: (req) =>
      new Promise((resolve, reject) => {
        const c = authz[nextAuthz++ % authz.length]!;
        c.Check(req, (err, res) => (err ? reject(err) : resolve(res)));
      }),
    process: (messages) =>
      new Promise((resolve, reject) => {
        const call = procClient().Process();
        const replies: ProcessingResponse[] = [];
        let i = 0;
        let failed = false;
        const fail = (e: Error) => {
          if (failed) return;
          failed = true;
          reject(e);
        };
        call.on('data', (r: ProcessingResponse) => {
          replies.push(r);
          i++;
          if (r.immediate_response) return fail(new Error(`immediate_response ${JSON.stringify(r.immediate_response.status)}`));
          const next = messages[i];
          if (next) call.write(next);
          else call.end();
        });
        call.on('error', (e: Error) => fail(e));
        call.on('status', (s: grpc.StatusObject) => {
          if (s.code !== grpc.status.OK) return fail(new Error(`status ${s.code} ${s.details}`));
          if (replies.length < messages.length) return fail(new Error(`stream closed after ${replies.length} replies`));
          if (!failed) resolve(replies);
        });
        const first = messages[0];
        if (first) call.write(first);
      }),
    close() {
      for (const c of authz) c.close();
      for (const p of procs) p.client.close();
      for (const r of retired) r.close();
    },
  };
}
