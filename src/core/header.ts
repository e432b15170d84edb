// A header mcpgw sets on the request or the response: the one wire-independent shape every decision uses.
export interface HeaderToSet {
  name: string;
  value: string;
}
