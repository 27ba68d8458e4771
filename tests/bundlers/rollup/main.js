import init, { connect, isAgentwireError } from "agentwire";
import { run } from "../app/app.js";

run({ init, connect, isAgentwireError }, "rollup");
