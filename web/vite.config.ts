// Vite builds the UI into dist/, which `runlet serve` serves at /. `npm run dev` proxies
// the API to a server on :8080 for working on the UI with live reload.
import { defineConfig } from 'vite';

export default defineConfig({
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1500 },
  server: { proxy: { '/api': { target: 'http://127.0.0.1:8080', ws: true } } },
});
