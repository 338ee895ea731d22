/** Options shared by several commands. */
import { Option } from 'commander';

export function stackOption(): Option {
  return new Option('--stack <id>', 'stack id (several stacks can run side by side)').env('EVENTFLOW_STACK');
}

export function imageSetOption(): Option {
  return new Option('--images <set>', 'image set: official (public images) or offline (built from Debian packages)').choices(['official', 'offline']).env('EVENTFLOW_IMAGES');
}
