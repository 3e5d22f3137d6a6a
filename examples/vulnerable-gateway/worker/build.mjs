// Bundles the Worker for upload (`node build.mjs`). Deliberately insecure: `define` pastes the signing
// secret from the build environment into dist/index.js, and the source map ships every original source.
import { build } from "esbuild";

await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  outfile: "dist/index.js",
  sourcemap: true,
  define: {
    "process.env.JWT_SIGNING_SECRET": JSON.stringify(process.env.JWT_SIGNING_SECRET),
    "process.env.NODE_ENV": '"production"',
  },
});
