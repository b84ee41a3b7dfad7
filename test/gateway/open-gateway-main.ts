// The control gateway of the container proof (bundled to one .cjs by test/container/gateway.test.ts):
//   node open-gateway.cjs PROFILE PROFILES_DIR CA_DIR HOSTS_FILE UPSTREAM_CA LOG
// The same startGateway as `perimeter gateway`, on 0.0.0.0:3128, with every tripwire's wire forms
// removed, so a request the real gateway refuses lands here: the refusal tests can fail.
import { readFileSync } from "node:fs";
import { readHostsFile } from "../../src/gateway/hosts-file.js";
import { compilePolicy, readSecret } from "../../src/gateway/policy.js";
import { startGateway } from "../../src/gateway/server.js";
import { loadProfile } from "../../src/profile/load.js";
import type { Profile } from "../../src/profile/types.js";

const [name, profilesDir, caDir, hostsFile, upstreamCa, logFile] = process.argv.slice(2) as [string, string, string, string, string, string];
const loaded = loadProfile(name, { profilesDir });
const open: Profile = { ...loaded, tripwires: loaded.tripwires.map((t) => ({ ...t, wire: [] })) };
startGateway({
  policy: compilePolicy(open, readSecret(process.env)),
  limits: open.limits,
  host: "0.0.0.0",
  port: 3128,
  caDir,
  logFile,
  hosts: readHostsFile(hostsFile),
  upstreamCa: readFileSync(upstreamCa, "utf8"),
}).then(
  () => process.stdout.write("open gateway ready\n"),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
