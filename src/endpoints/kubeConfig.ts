// Where the Kubernetes credentials come from: a kubeconfig file when one is named, else the pod's service account.
import { existsSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * `kubeconfig` (or the KUBECONFIG environment variable, a path list) names kubeconfig files;
 * without either, the in-cluster service account is used (token file re-read as it rotates).
 * Throws when neither is available, rather than silently talking to localhost:8080.
 */
export function loadKubeConfig(opts: { kubeconfig?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  if (opts.kubeconfig) {
    kc.loadFromFile(opts.kubeconfig);
  } else if (process.env.KUBECONFIG) {
    // loadFromDefault reads KUBECONFIG first and merges every file of the list.
    kc.loadFromDefault();
  } else if (process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN)) {
    kc.loadFromCluster();
  } else {
    throw new Error('no Kubernetes credentials: set a kubeconfig path (or KUBECONFIG), or run in a pod with a service account');
  }
  if (!kc.getCurrentCluster()) throw new Error('the kubeconfig has no current context with a cluster');
  return kc;
}
