// The mutation fields a GraphQL request asks for, read with graphql-js's own parser so aliases,
// fragments, comments and batching cannot hide one. An unreadable request is refused by the caller.
import { Kind, parse, type FragmentDefinitionNode, type SelectionSetNode } from "graphql";

/**
 * A GraphQL endpoint's path, also with a format suffix or parameters a Rails router would take
 * ("/graphql.json", "/graphql;x"): one the server routes and the gateway did not read would pass.
 */
export const isGraphqlPath = (path: string) => /\/graphql([.;][^/]*)?$/.test(path);

/** Every top-level mutation field of every operation in the body, or an Error when it cannot be read. */
export function mutationFields(body: string, queryParam?: string | null): string[] | Error {
  const queries: string[] = [];
  if (queryParam) queries.push(queryParam);
  if (body.trim() !== "") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return new Error("the GraphQL request body is not JSON");
    }
    for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
      const query = (item as { query?: unknown } | null)?.query;
      if (typeof query !== "string") return new Error("a GraphQL request without a query text (persisted queries cannot be checked)");
      queries.push(query);
    }
  }
  const fields: string[] = [];
  for (const query of queries) {
    let doc;
    try {
      doc = parse(query, { noLocation: true });
    } catch (error) {
      return new Error(`the GraphQL query does not parse: ${(error as Error).message}`);
    }
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const def of doc.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    const collect = (set: SelectionSetNode, seen: Set<string>) => {
      for (const sel of set.selections) {
        if (sel.kind === Kind.FIELD) fields.push(sel.name.value);
        else if (sel.kind === Kind.INLINE_FRAGMENT) collect(sel.selectionSet, seen);
        else if (!seen.has(sel.name.value)) {
          const fragment = fragments.get(sel.name.value);
          if (fragment) collect(fragment.selectionSet, new Set([...seen, sel.name.value]));
        }
      }
    };
    for (const def of doc.definitions) {
      if (def.kind === Kind.OPERATION_DEFINITION && def.operation === "mutation") collect(def.selectionSet, new Set());
    }
  }
  return fields;
}
