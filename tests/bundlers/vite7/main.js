// A top-level `await init()`, the way the README shows it: Vite 7 builds it with no
// agentwire-specific configuration (vite.config.js).
import init, { connect, isAgentwireError } from "agentwire";
import { run } from "../app/app.js";

await init();
run({ init, connect, isAgentwireError }, "vite7");
