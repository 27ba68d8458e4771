// `import wasmUrl from "agentwire/agentwire_bg.wasm"`: the URL a bundler gives the .wasm file
// (esbuild with `loader: { ".wasm": "file" }`), to pass to `init({ module_or_path })`.
declare const url: string;
export default url;
