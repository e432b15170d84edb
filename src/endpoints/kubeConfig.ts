// Where the Kubernetes credentials come from: a kubeconfig file when one is named, else the pod's service account.
import { existsSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * `kubeconfig` (or the KUBECONFIG environment variable, a path list) names kubeconfig files;
 * without either, the in-cluster service account is used (token file re-read as it rotates).
 * Throws at once when neither is available, rather than silently talking to localhost:8080; the
 * client itself is imported here, on first use, so the returned promise rejects on an unreadable file.
 */
export function loadKubeConfig(opts: { kubeconfig?: string } = {}): Promise<KubeConfig> {
  const file = opts.kubeconfig;
  const fromEnv = !file && !!process.env.KUBECONFIG;
  if (!file && !fromEnv && !(process.env.KUBERNETES_SERVICE_HOST && existsSync(SERVICE_ACCOUNT_TOKEN))) {
    throw new Error('no Kubernetes credentials: set a kubeconfig path (or KUBECONFIG), or run in a pod with a service account');
  }
  return import('@kubernetes/client-node').then(({ KubeConfig }) => {
    const kc = new KubeConfig();
    if (file) kc.loadFromFile(file);
    // loadFromDefault reads KUBECONFIG first and merges every file of the list.
    else if (fromEnv) kc.loadFromDefault();
    else kc.loadFromCluster();
    if (!kc.getCurrentCluster()) throw new Error('the kubeconfig has no current context with a cluster');
    return kc;
  });
}
