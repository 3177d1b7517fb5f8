/**
 * The extensions `zonelb serve` and the demo mount on the service: scaling (autoscaler and
 * hot zones) and observability, which reads the scaling controller's status once it exists.
 */
import type { ExtensionFactory } from '../net/app.ts';
import { observability } from '../obs/observability.ts';
import type { ScaleController } from '../scale/scale-controller.ts';
import { scaling } from '../scale/scale-extension.ts';
import type { ScaleOptions } from '../scale/scale-options.ts';

export function serviceExtensions(scale: ScaleOptions): ExtensionFactory[] {
  let controller: ScaleController | undefined;
  return [
    observability({ scaleStatus: () => controller?.status() }),
    scaling(scale, { onController: (c) => (controller = c) }),
  ];
}
