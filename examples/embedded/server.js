// An existing node:http service that offloads a CPU-heavy function to a hot module: tiles of
// the Mandelbrot set are rendered as PNG in worker threads, and SIGHUP upgrades the renderer
// while the service keeps answering. Run it (after `npm run build`) with
//   node examples/embedded/server.js        then open http://127.0.0.1:3001/tile?x=0&y=0&zoom=0
// The README's "Embedding in your service" shows the lines from `import` to the SIGHUP handler.
import { createServer } from 'node:http';
import { hot } from 'hotworker';

const tiles = await hot(new URL('./mandelbrot.ts', import.meta.url), { threads: 2 });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname !== '/tile') return res.writeHead(404).end();
  const [x, y, zoom] = ['x', 'y', 'zoom'].map((key) => Number(url.searchParams.get(key) ?? 0));
  const { id, hash } = tiles.version; // read in the same tick as the call: the version that renders it
  try {
    const png = await tiles.api.renderTile(x, y, zoom, 256);
    res.writeHead(200, { 'content-type': 'image/png', 'x-renderer': `${id}-${hash.slice(0, 8)}` }).end(png);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(`render failed: ${error.message}\n`);
  }
});

process.on('SIGHUP', () => {
  tiles.upgrade().then(
    (version) => console.log(`renderer is v${version.id} (${version.hash.slice(0, 8)})`),
    (error) => console.error(`upgrade failed, the old renderer keeps serving: ${error.message}`),
  );
});

// Stop accepting, let open requests finish, then end the renderer's workers.
process.on('SIGTERM', () => {
  server.close(() => tiles.close().then(() => process.exit(0)));
  server.closeIdleConnections();
});

server.listen(Number(process.env.PORT ?? 3001), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
