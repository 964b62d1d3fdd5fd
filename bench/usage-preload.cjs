// Preloaded (`node --require=bench/usage-preload.cjs`) into a benchmarked CLI process: on exit it prints the process's
// own CPU time (user + system) and peak RSS on its last stderr line, `@@usage {"cpu":ms,"rss":MB}`. CommonJS on
// purpose: an `--import` preload starts Node's ES module loader, which adds 100-200 ms of CPU to the CommonJS bin.
process.on('exit', () => {
  const u = process.resourceUsage();
  process.stderr.write(`\n@@usage ${JSON.stringify({ cpu: (u.userCPUTime + u.systemCPUTime) / 1000, rss: u.maxRSS / 1024 })}\n`);
});
