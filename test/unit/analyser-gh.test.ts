// Issue 11: gh's grammar in the analyser: -R anywhere, the API method in any case and position,
// REST paths and GraphQL mutations read as the commands they amount to. Each with its control.
import { describe, it } from "vitest";
import { expectDenied, expectNoOpinion } from "./analyser-helpers.js";

const mutation = (field: string) => `gh api graphql -f query='mutation { ${field}(input: {repositoryId: "R_1"}) { clientMutationId } }'`;

describe("gh: -R/--repo anywhere", () => {
  it.each([
    ["-R before", "gh -R octo/app repo delete --yes", "gh-repo-delete"],
    ["--repo after", "gh repo delete --repo octo/app --yes", "gh-repo-delete"],
    ["--repo=", "gh --repo=octo/app repo archive --yes", "gh-repo-archive"],
    ["-Rowner/repo", "gh -Rocto/app secret set T --body v", "gh-secret"],
    ["between words", "gh release -R octo/app delete v1 --yes", "gh-release-delete"],
    ["variable", "gh variable set N --body v", "gh-variable"],
    ["auth", "gh auth token", "gh-auth"],
  ])("%s: %j", (_c, command, tripwire) => expectDenied(command, tripwire));
  it.each(["gh -R octo/app pr create --fill", "gh pr view 12", "gh repo view octo/app", "gh search code secret"])("must run: %j", expectNoOpinion);
});

describe("gh api: the method in any case and position", () => {
  it.each([
    ["-X DELETE", "gh api -X DELETE repos/o/r/git/refs/heads/x"],
    ["-X delete", "gh api -X delete repos/o/r/git/refs/heads/x"],
    ["-XDELETE", "gh api -XDELETE repos/o/r/git/refs/heads/x"],
    ["-Xdelete after the path", "gh api repos/o/r/git/refs/heads/x -Xdelete"],
    ["-X=delete", "gh api -X=delete repos/o/r/git/refs/heads/x"],
    ["--method Delete", "gh api --method Delete repos/o/r/git/refs/heads/x"],
    ["--method=delete", "gh api --method=delete repos/o/r/git/refs/heads/x"],
    ["bundled -iXDELETE", "gh api -iXDELETE repos/o/r/git/refs/heads/x"],
    ["-R first", "gh -R o/r api -X DELETE repos/o/r/git/refs/heads/x"],
    ["unknown method", 'gh api -X "$M" repos/o/r/hooks/1'],
    ["GraphQL deleteRef", "gh api graphql -f query='mutation { deleteRef(input: {refId: \"X\"}) { clientMutationId } }'"],
  ])("%s: %j", (_c, command) => expectDenied(command, "gh-api-delete"));

  it.each([
    ["REST DELETE of a repository", "gh api -X DELETE repos/octo/app", "gh-repo-delete"],
    ["REST PATCH of a repository", "gh api -X PATCH repos/octo/app -f visibility=public", "gh-repo-edit"],
    ["fields imply POST", "gh api repos/octo/app -F private=false", "gh-repo-edit"],
    ["transfer", "gh api repos/octo/app/transfer -f new_owner=x", "gh-repo-edit"],
    ["REST secrets, even a GET", "gh api repos/octo/app/actions/secrets", "gh-secret"],
    ["REST variables", "gh api -X POST /repos/octo/app/actions/variables -f name=N", "gh-variable"],
    ["GraphQL deleteRepository", mutation("deleteRepository"), "gh-repo-delete"],
    ["GraphQL with an alias", "gh api graphql -f query='mutation{ x: deleteRepository(input:{repositoryId:\"R\"}){clientMutationId} }'", "gh-repo-delete"],
    ["GraphQL archiveRepository", mutation("archiveRepository"), "gh-repo-archive"],
    ["GraphQL unarchiveRepository", mutation("unarchiveRepository"), "gh-repo-archive"],
    ["GraphQL updateRepository", mutation("updateRepository"), "gh-repo-edit"],
    ["GraphQL transferRepository", mutation("transferRepository"), "gh-repo-edit"],
    ["GraphQL secrets", mutation("createEnvironmentSecret"), "gh-secret"],
    ["GraphQL variables", mutation("createActionsVariable"), "gh-variable"],
    ["GraphQL from a file", "gh api graphql -F query=@mutation.graphql", "gh-repo-delete"],
    ["GraphQL from --input", "gh api graphql --input body.json", "gh-repo-delete"],
    ["alias to repo delete", "gh alias set rd 'repo delete'", "gh-repo-delete"],
    ["shell alias", "gh alias set --shell rd 'gh repo delete octo/app --yes'", "gh-repo-delete"],
  ])("%s: %j", (_c, command, tripwire) => expectDenied(command, tripwire));

  it.each([
    "gh api repos/octo/app",
    "gh api -X GET repos/octo/app/pulls",
    "gh api repos/octo/app/pulls --paginate --jq '.[].title'",
    "gh api graphql -f query='query { viewer { login } }'",
    "gh api graphql -f query='query { repository(owner: \"o\", name: \"deleteRepository\") { id } }'",
    "gh api -X POST repos/octo/app/issues -f title=x",
    "gh alias set co 'pr checkout'",
  ])("must run: %j", expectNoOpinion);
});
