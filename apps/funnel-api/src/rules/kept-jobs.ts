/**
 * The jobs a process remembers so clients can poll them (replays, applies): the newest
 * `capacity` by id, the oldest forgotten first. In memory on purpose: a job's durable state
 * lives in ClickHouse (a replay's checkpoint, a set's status) and the store (activations);
 * this only answers "how is my job doing" for as long as the process runs.
 */
export class KeptJobs<Job> {
  private readonly jobs = new Map<string, Job>();

  constructor(private readonly capacity = 100) {}

  remember(id: string, job: Job): Job {
    this.jobs.set(id, job);
    while (this.jobs.size > this.capacity) {
      const oldest = this.jobs.keys().next().value;
      if (oldest === undefined) break;
      this.jobs.delete(oldest);
    }
    return job;
  }

  get(id: string): Job | undefined {
    return this.jobs.get(id);
  }

  values(): Job[] {
    return [...this.jobs.values()];
  }
}
