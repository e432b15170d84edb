// The optional provisioning RBAC (istio/components/provisioning): exactly the calls src/provision makes,
// bound to the ServiceAccount istio/base runs mcpgw as. (Its schema check is in manifests.test.ts, with
// every other rendered object.)
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PROVISIONING_RULES } from '../../src/provision/index.js';
import { oneObject } from './manifests.js';

describe('provisioning RBAC', () => {
  it('grants exactly the verbs provisioning uses, in the namespace it deploys to', () => {
    const role = oneObject('istio/examples/provisioning', 'Role', 'mcpgw-provisioner');
    assert.equal(role.metadata.namespace, 'mcp');
    const rules = role['rules'] as Array<{ verbs: string[] }>;
    assert.deepEqual(rules, PROVISIONING_RULES);
    const verbs = new Set(rules.flatMap((r) => r.verbs));
    for (const broad of ['*', 'list', 'watch', 'update', 'patch', 'deletecollection']) assert.ok(!verbs.has(broad), `no ${broad}`);
  });

  it('binds the ServiceAccount mcpgw runs as', () => {
    const binding = oneObject('istio/examples/provisioning', 'RoleBinding', 'mcpgw-provisioner');
    const account = oneObject('istio/base', 'ServiceAccount');
    assert.deepEqual(binding['subjects'], [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    assert.deepEqual(binding['roleRef'], { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'mcpgw-provisioner' });
  });

  it('is not part of istio/base: provisioning is opt-in', () => {
    assert.throws(() => oneObject('istio/base', 'Role', 'mcpgw-provisioner'), /found 0/);
  });
});
