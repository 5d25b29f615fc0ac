import { existsSync } from "node:fs";
import { arch, homedir, hostname, platform, tmpdir, userInfo } from "node:os";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";
import { CAPABILITIES, PROTOCOL_VERSION, type EnvironmentInfoResult } from "@x/exec-protocol";
import { VERSION } from "../version.ts";

/** What environment/info answers: upstream's `shell` and `cwd`, and where and what this server is. */
export function environmentInfo(fsRoots: readonly string[]): EnvironmentInfoResult {
  const user = userInfo();
  const shellPath = [process.env.SHELL, user.shell, "/bin/sh"].find((candidate) => candidate && existsSync(candidate)) ?? "/bin/sh";
  let cwd: string | null;
  try {
    cwd = pathToFileURL(process.cwd()).href;
  } catch {
    cwd = null; // the directory was removed under the server
  }
  return {
    shell: { name: basename(shellPath), path: shellPath },
    cwd,
    os: platform(),
    arch: arch(),
    hostname: hostname(),
    user: user.username,
    uid: user.uid,
    home: homedir(),
    tmpdir: tmpdir(),
    version: VERSION,
    protocolVersion: PROTOCOL_VERSION,
    fsRoots: [...fsRoots],
    capabilities: [...CAPABILITIES],
  };
}
