/**
 * Resolves on the first SIGINT or SIGTERM, or after `durationSec` when given. A second signal
 * while shutting down exits at once (130), for a shutdown that hangs.
 */
export function untilStopped(durationSec?: number): Promise<'signal' | 'duration'> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (): void => {
      if (stopping) process.exit(130);
      stopping = true;
      if (timer) clearTimeout(timer);
      resolve('signal');
    };
    const timer =
      durationSec === undefined
        ? undefined
        : setTimeout(() => {
            stopping = true;
            resolve('duration');
          }, durationSec * 1000);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
