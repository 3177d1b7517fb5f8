/**
 * Agones' FleetAutoscaler webhook policy, answered: Agones POSTs a FleetAutoscaleReview with
 * `request` filled in (uid, fleet name and namespace, and the fleet's status: replicas,
 * readyReplicas, reservedReplicas, allocatedReplicas), and expects the same review back with
 * `response` filled in: the request's uid, `scale` (false: leave the fleet as it is) and the
 * target `replicas`. Field names and casing are Agones' (autoscaling.agones.dev/v1).
 *
 * The target is the capacity the autoscaler wants plus what it is still draining (a drained
 * server is released only once it holds nobody: until then it stays a replica), in replicas
 * (capacity units over the weight of one replica), never below the replicas Agones will not
 * delete anyway (allocated and reserved ones). Agones only deletes Ready game servers on
 * scale-down, so a game server that marks itself Allocated while it hosts players is never
 * taken away by a lower count.
 */
import { z } from 'zod';
import { ErrorCode, ZonelbError } from '../core/errors.ts';
import type { AutoscaleStatus } from './autoscaler.ts';

const count = z.number().int().min(0);

/** Agones may add fields over versions (players, counters, lists): they are kept, not refused. */
const fleetStatus = z
  .object({
    replicas: count,
    readyReplicas: count.default(0),
    reservedReplicas: count.default(0),
    allocatedReplicas: count.default(0),
  })
  .passthrough();

const reviewSchema = z
  .object({
    request: z
      .object({
        uid: z.string().min(1),
        name: z.string(),
        namespace: z.string().default(''),
        status: fleetStatus,
      })
      .passthrough(),
    response: z.unknown().optional(),
  })
  .passthrough();

export type FleetAutoscaleReview = z.output<typeof reviewSchema>;
export type FleetStatus = z.output<typeof fleetStatus>;

export interface FleetAutoscaleResponse {
  uid: string;
  scale: boolean;
  replicas: number;
}

export interface AgonesAnswerOptions {
  /** Desired capacity (weight units), or undefined when the autoscaler has not decided yet. */
  desiredUnits: number | undefined;
  /** Weight of one replica of the fleet. */
  replicaWeight: number;
  /** Bounds on the replica count. */
  minReplicas: number;
  maxReplicas: number;
}

/** Capacity (weight units) the fleet should have now: wanted, plus still draining. Undefined before a decision. */
export function agonesTargetUnits(status: AutoscaleStatus | undefined): number | undefined {
  return status === undefined ? undefined : status.desired + status.draining;
}

/** Parses a FleetAutoscaleReview (ZLB_ERR_BAD_REQUEST naming the field when it is not one). */
export function parseReview(body: unknown): FleetAutoscaleReview {
  const r = reviewSchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const field = issue.path.join('.') || '(body)';
    throw new ZonelbError(ErrorCode.BadRequest, `not a FleetAutoscaleReview: ${field}: ${issue.message}`, { field, cause: r.error });
  }
  return r.data;
}

/** The review with its response filled in. */
export function answerReview(body: unknown, o: AgonesAnswerOptions): FleetAutoscaleReview & { response: FleetAutoscaleResponse } {
  const review = parseReview(body);
  const { status, uid } = review.request;
  let replicas = status.replicas;
  if (o.desiredUnits !== undefined) {
    const wanted = Math.ceil(o.desiredUnits / o.replicaWeight - 1e-9);
    const floor = status.allocatedReplicas + status.reservedReplicas;
    replicas = Math.min(o.maxReplicas, Math.max(o.minReplicas, floor, wanted));
  }
  return { ...review, response: { uid, scale: replicas !== status.replicas, replicas } };
}
