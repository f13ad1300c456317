import { spawn } from 'node:child_process';

/*
 * Why a separate process: when the Node process that started the broker dies without
 * running its handlers (SIGKILL, OOM kill, a crashed Jest worker), nothing in Node can
 * stop the JVM, and a stray broker keeps its ports and memory forever. The guardian is
 * a detached `sh` (a few hundred KB, only shell builtins while polling) that watches
 * both pids and takes the JVM down when the parent disappears.
 *
 * A pid counts as alive while `kill -0` succeeds and /proc (where there is one) does not
 * show it as a zombie: a parent killed with SIGKILL can linger as a zombie until its own
 * parent reaps it.
 */
const GUARDIAN_SCRIPT = `
parent=$1; jvm=$2; grace=$3; remove=$4
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  if [ -r "/proc/$1/stat" ]; then
    read -r stat < "/proc/$1/stat" || return 0
    state=\${stat##*) }
    [ "\${state%% *}" != Z ] || return 1
  fi
  return 0
}
while alive "$parent" && alive "$jvm"; do sleep 0.5; done
if alive "$jvm"; then
  kill -TERM "$jvm" 2>/dev/null
  waited=0
  while alive "$jvm" && [ "$waited" -lt "$grace" ]; do sleep 1; waited=$((waited + 1)); done
  alive "$jvm" && kill -KILL "$jvm" 2>/dev/null
  while alive "$jvm"; do sleep 0.2; done
fi
if [ -n "$remove" ] && ! alive "$parent"; then rm -rf -- "$remove"; fi
`;

export interface GuardianOptions {
  parentPid: number;
  jvmPid: number;
  /** Seconds between SIGTERM and SIGKILL. */
  graceSeconds: number;
  /** A temporary data dir to delete once the JVM is gone, if the parent died. */
  removeDirOnParentDeath?: string;
}

/** Starts the guardian and returns its pid. It ends by itself when the JVM exits. */
export function startGuardian(options: GuardianOptions): number | undefined {
  const child = spawn(
    'sh',
    [
      '-c',
      GUARDIAN_SCRIPT,
      'conveyor-kafka-guardian',
      String(options.parentPid),
      String(options.jvmPid),
      String(Math.max(1, Math.ceil(options.graceSeconds))),
      options.removeDirOnParentDeath ?? '',
    ],
    { detached: true, stdio: 'ignore' },
  );
  child.unref();
  return child.pid;
}
