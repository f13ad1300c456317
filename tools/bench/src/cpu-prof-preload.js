// Preload (NODE_OPTIONS=--require): V8 CPU profile of this process, written at exit to $CPU_PROF_DIR.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.CPU_PROF_DIR;
if (dir) {
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 1000 });
  session.post('Profiler.start');
  process.on('exit', () => {
    session.post('Profiler.stop', (err, res) => {
      if (!err) fs.writeFileSync(path.join(dir, `${process.env.STAGE || 'proc'}-${process.pid}.cpuprofile`), JSON.stringify(res.profile));
    });
  });
}
