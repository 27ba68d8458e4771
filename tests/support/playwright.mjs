// playwright-core for the Node tests and benchmarks, from .tools, where scripts/setup installs it
// (pinned there; the tests drive Debian's /usr/bin/chromium and never download a browser).
//
//   const { chromium } = loadPlaywright();
import { createRequire } from "node:module";
import { join, resolve } from "node:path";

const root = resolve(new URL("../..", import.meta.url).pathname);

/** playwright-core, or an error that says how to install it. */
export function loadPlaywright() {
  const require = createRequire(join(root, ".tools/package.json"));
  try {
    return require("playwright-core");
  } catch {
    throw new Error(
      "playwright-core is missing: npm install --prefix .tools --no-audit --no-fund playwright-core@1.65.1",
    );
  }
}
