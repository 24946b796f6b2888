// First: the thread pool's size must be set before anything uses the pool.
import './threadpool';

export * from './tandem.config';
export * from './observability.config';
