/**
 * Counts every command the API executes, by type and outcome: accepted, refused (a 4xx the
 * caller caused, with the error's code as the reason) or failed (anything else). It wraps
 * the CommandBus once at start-up, so no controller or handler carries metrics code.
 *
 * A request refused before it became a command (a malformed body, a missing credential) is
 * counted by the HTTP metrics on its route, not here. It must never change a command's result
 * or error, and never label with anything unbounded (ids, messages).
 */
import { HttpException, Injectable, type OnModuleInit } from '@nestjs/common';
import { CommandBus, type ICommand } from '@nestjs/cqrs';
import { DomainError } from '@tandem/domain';
import {
  CheckpointConflictError,
  DuplicateEventIdError,
  InvalidAppendError,
  WrongExpectedRevisionError,
} from '@tandem/event-store';
import type { CommandOutcome } from '@tandem/observability';
import { ApiMetrics } from './api-metrics';

type Execute = (command: ICommand, context?: unknown) => Promise<unknown>;

/** The lead command's own type (CaptureLead, WinDeal …); else the command class. */
export function commandTypeOf(command: ICommand): string {
  const inner = (command as { command?: { type?: unknown } }).command?.type;
  return typeof inner === 'string' ? inner : command.constructor.name;
}

/** Outcome and reason code of a failed command, as the edge will answer it. */
export function classifyFailure(error: unknown): { outcome: CommandOutcome; reason: string } {
  if (error instanceof DomainError) return { outcome: 'refused', reason: error.code };
  if (
    error instanceof WrongExpectedRevisionError ||
    error instanceof DuplicateEventIdError ||
    error instanceof CheckpointConflictError
  ) {
    return { outcome: 'refused', reason: 'conflict' };
  }
  if (error instanceof InvalidAppendError) return { outcome: 'refused', reason: 'invalid_append' };
  if (error instanceof HttpException && error.getStatus() < 500) {
    return { outcome: 'refused', reason: `http_${error.getStatus()}` };
  }
  return { outcome: 'failed', reason: '' };
}

@Injectable()
export class CommandMetrics implements OnModuleInit {
  constructor(
    private readonly bus: CommandBus,
    private readonly metrics: ApiMetrics,
  ) {}

  onModuleInit(): void {
    const execute = this.bus.execute.bind(this.bus) as Execute;
    // @nestjs/cqrs has no hook around a handler's outcome (its publisher sees the command
    // only), so the bus's own execute is wrapped: one place, every command.
    const measured: Execute = async (command, context) => {
      const type = commandTypeOf(command);
      try {
        const result = await execute(command, context);
        this.metrics.commands.inc({ command: type, outcome: 'accepted', reason: '' });
        return result;
      } catch (error) {
        this.metrics.commands.inc({ command: type, ...classifyFailure(error) });
        throw error;
      }
    };
    (this.bus as unknown as { execute: Execute }).execute = measured;
  }
}
