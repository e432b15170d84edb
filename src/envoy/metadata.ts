// Dynamic metadata both adapters agree on: ext_authz writes the verified caller under its filter's
// namespace, and Envoy hands that namespace to ext_proc (metadata_options.forwarding_namespaces).

/** Namespace Envoy files ext_authz's dynamic metadata under. */
export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';

/** Key (in EXT_AUTHZ_NAMESPACE) carrying the principal ext_authz verified, for ext_proc to trust. */
export const VERIFIED_PRINCIPAL_KEY = 'mcpgw_principal';
