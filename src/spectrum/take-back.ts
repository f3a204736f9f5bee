/**
 * An idle calling thread computes queued matrices itself (issue 14, item 4: balance). When
 * the engine runs fewer workers than cores (a model of small and medium layers gets one,
 * compute.ts warmPlanFor), the calling thread has a core of its own, and it is idle while it
 * waits for the pipeline's budget or for the last layers: on PP-OCRv4 rec it sat idle for
 * ~0.2 s while its one worker ran three 480² matrices and the linear layers queued behind.
 *
 * So a matrix that waits for a worker stays "takeable" until a worker's turn comes: while the
 * caller says it is idle, it takes the oldest such matrix and computes it on its own thread,
 * one per turn of the event loop (so answers from the workers, and the jobs that follow them,
 * are not held up). Only matrices whose route is the same code everywhere are takeable: the
 * one-stage path (eigen.ts), the rank and accurate route of slice-rank.ts — the calling
 * thread has no onnxruntime — so a layer's numbers do not depend on which thread computed it.
 */

/** A queued matrix: computed by `local` on the calling thread, or by its worker job. */
interface Takeable {
  taken: boolean;
  readonly local: () => void;
}

export class TakeBack {
  private readonly queue: Takeable[] = [];
  private idle = false;
  private pending = false;

  /**
   * Runs `remote` once `grant` (the engine's budget) gives it its turn, unless the idle caller
   * took it first and ran `local`: either way, the returned promise has its answer.
   */
  run<T>(
    grant: (task: () => Promise<void>) => Promise<void>,
    remote: () => Promise<T>,
    local: () => T | Promise<T>,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job: Takeable = {
        taken: false,
        local: () => {
          job.taken = true;
          try {
            Promise.resolve(local()).then(resolve, reject);
          } catch (e) {
            reject(e);
          }
        },
      };
      this.queue.push(job);
      grant(async () => {
        this.drop(job);
        if (job.taken) return;
        try {
          resolve(await remote());
        } catch (e) {
          reject(e);
        }
      }).catch(reject);
      this.soon();
    });
  }

  /** The caller has nothing to do but wait (true), or has work again (false). */
  callerIdle(idle: boolean): void {
    this.idle = idle;
    this.soon();
  }

  /** Matrices waiting that the idle caller could take. */
  get waiting(): number {
    return this.queue.length;
  }

  private drop(job: Takeable): void {
    const i = this.queue.indexOf(job);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** One matrix per turn of the event loop while the caller stays idle. */
  private soon(): void {
    if (this.pending || !this.idle || this.queue.length === 0) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      if (!this.idle) return;
      const job = this.queue.shift();
      job?.local();
      this.soon();
    });
  }
}
