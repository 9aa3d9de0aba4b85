import { ConfigError } from '../config.ts';
import type { Logger } from '../shared/logger.ts';
import { DataKeyError } from '../shared/personal-data.ts';

/**
 * An operator's mistake found at start (busy port, unusable DATA_DIR, a file that is not a
 * database): its message is one line that says what to do; no stack trace.
 */
export class StartupError extends Error {}

/**
 * The one line printed for an error that stops a start or a command: the message of the errors an
 * operator causes (settings, keys, port, files), or null for anything else (a bug: print it all).
 * A configuration error with one problem becomes one line too.
 */
export function operatorMessage(err: unknown): string | null {
  if (err instanceof ConfigError) {
    const lines = err.message.split('\n');
    return lines.length === 2 ? `${lines[0]} ${lines[1]!.trim()}` : err.message;
  }
  if (err instanceof DataKeyError || err instanceof StartupError) return err.message;
  return null;
}

export interface ProcessGuard {
  /** From now on an uncaught error is logged and the process carries on. */
  started(): void;
  uninstall(): void;
}

/** Frames of a stack, without its message (which may carry data): enough to find the place. */
export function shortStack(err: unknown, frames = 6): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  return err.stack
    .split('\n')
    .filter((l) => l.trimStart().startsWith('at '))
    .slice(0, frames)
    .map((l) => l.trim())
    .join(' | ');
}

/**
 * The process-level guard (issue 13: "logs and survives anything a stream emits late").
 *
 * Once `started()` (the server listens, or a long-running command has opened its database), an
 * `uncaughtException` - e.g. an 'error' a stream or socket emits after its request has been
 * answered, with nobody listening - or an `unhandledRejection` is logged (through the scrubbing
 * logger: the error's name, its message cut to 200 characters, a short stack; no request data)
 * and the process carries on: every request is parsed and answered inside its own handler, so
 * what reaches this point is late noise, and exiting would drop every other request in flight.
 *
 * What still exits: an uncaught error before `started()` (a start that fails half way must not
 * leave a half-started server; it exits 1 with one line), and what no handler can catch (out of
 * memory, SIGKILL). A process manager restarts the service for those.
 */
export function installProcessGuard(logger: Logger, onFatal: (line: string) => void = exitWith): ProcessGuard {
  let running = false;
  const report = (kind: string) => (err: unknown) => {
    if (!running) {
      onFatal(operatorMessage(err) ?? `start failed: ${kind}: ${describe(err)}`);
      return;
    }
    logger.error(kind, {
      error: err instanceof Error ? err.name : typeof err,
      message: describe(err).slice(0, 200),
      ...(err instanceof Error && 'code' in err ? { code: String(err.code) } : {}),
      stack: shortStack(err),
    });
  };
  const onException = report('uncaught exception');
  const onRejection = report('unhandled rejection');
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return {
    started: () => void (running = true),
    uninstall() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
    },
  };
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function exitWith(line: string): never {
  process.stderr.write(line + '\n');
  process.exit(1);
}
