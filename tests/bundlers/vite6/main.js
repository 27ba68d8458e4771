// A top-level `await init()`, the way the README shows it: Vite 6 needs `build.target: "es2022"`
// for it (vite.config.js).
import init, { connect, isAgentwireError } from "agentwire";
import { run } from "../app/app.js";

await init();
run({ init, connect, isAgentwireError }, "vite6");
