/**
 * How each ntfy priority is presented: whether it pops up, makes a sound, and stays.
 */
import type { Priority } from '../../message/message.ts';
import { urgencyFor, type Urgency } from '../notifier.ts';

/** How a notification is presented. */
export interface Presentation {
  /** False: the message goes to history and the unread count only. */
  readonly popup: boolean;
  /** The notifier must make no sound at all. */
  readonly silent: boolean;
  /** Ask for an audible alert; when both are false the platform's default for notifications applies. */
  readonly sound: boolean;
  readonly urgency: Urgency;
  /** Stays on screen until dismissed (no timeout). */
  readonly sticky: boolean;
}

/**
 * The presentation of a priority: 1 history only, 2 silent pop-up, 3 normal pop-up, 4 pop-up with
 * sound, 5 urgent with sound that stays until dismissed.
 */
export function presentationFor(priority: Priority): Presentation {
  switch (priority) {
    case 1:
      return { popup: false, silent: true, sound: false, urgency: urgencyFor(1), sticky: false };
    case 2:
      return { popup: true, silent: true, sound: false, urgency: urgencyFor(2), sticky: false };
    case 3:
      return { popup: true, silent: false, sound: false, urgency: urgencyFor(3), sticky: false };
    case 4:
      return { popup: true, silent: false, sound: true, urgency: urgencyFor(4), sticky: false };
    case 5:
      return { popup: true, silent: false, sound: true, urgency: urgencyFor(5), sticky: true };
  }
}

/** The presentation in words, for reasons: "silent pop-up", "pop-up with sound". */
export function describePresentation(priority: Priority): string {
  switch (priority) {
    case 1:
      return 'history only';
    case 2:
      return 'silent pop-up';
    case 3:
      return 'pop-up';
    case 4:
      return 'pop-up with sound';
    case 5:
      return 'urgent pop-up with sound, stays until dismissed';
  }
}
