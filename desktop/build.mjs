// Bundles src/main.ts (and the customer's chat page, src/chat.ts, with amazon-connect-chatjs in its own chunk)
// into dist/ (ES modules, the Streams softphone split into its own chunk, loaded only when
// the page runs against a real Connect instance) and copies the static files. No network, no Docker.
import { build } from "esbuild";
import { cpSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
await build({
  entryPoints: { app: "src/main.ts", chat: "src/chat.ts" }, // the agent desktop, the customer's chat page
  bundle: true,
  splitting: true,
  format: "esm",
  target: "es2022",
  outdir: "dist",
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  logLevel: "warning",
});
cpSync("static", "dist", { recursive: true });
