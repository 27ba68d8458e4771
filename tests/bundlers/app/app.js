// The app every plain-JS bundler test builds (tests/bundlers/*/main.js): load the wasm, get a dev
// token from `agentwire serve`, connect to `/ws` on the page's own origin, send one message and
// wait for the run's `agent_completed`. The outcome goes into <body data-result> ("ok" or
// "error: ...") and error-severity checker flags into <body data-errors>, for tests/bundlers.mjs.
//
// The package is passed in rather than imported here, so that each bundler resolves "agentwire"
// from its own node_modules (this file lives outside every test project).

/**
 * @param {{ init: Function, connect: Function, isAgentwireError: Function }} agentwire
 * @param {string} bundler named in the message sent, and shown on the page
 * @param {unknown} [initArg] passed to `init()` (esbuild passes the .wasm's URL)
 */
export async function run(agentwire, bundler, initArg) {
  const { init, connect, isAgentwireError } = agentwire;
  const body = document.body;
  const errors = [];
  const show = (text) => {
    document.getElementById("status").textContent = text;
  };
  try {
    show(`${bundler}: loading the wasm`);
    await init(initArg);
    const response = await fetch("/dev/token?user=bundler-user");
    if (!response.ok) throw new Error(`GET /dev/token: HTTP ${response.status}`);
    const { token } = await response.json();
    show(`${bundler}: connecting`);
    const client = connect("/ws", { token });
    client.onFlag((flag) => {
      if (flag.severity !== "error") return;
      errors.push(`${flag.rule}: ${flag.message}`);
      body.dataset.errors = errors.join("\n");
    });
    client.on("agent_completed", (event) => {
      show(`${bundler}: agent_completed: ${event.final_response ?? ""}`);
      body.dataset.result = "ok";
    });
    client.sendUserMessage(`hello from ${bundler}`);
  } catch (error) {
    const code = isAgentwireError(error) ? ` (${error.code})` : "";
    body.dataset.result = `error${code}: ${error?.message ?? error}`;
    show(body.dataset.result);
  }
}
