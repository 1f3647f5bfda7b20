import { describe, expect, it } from 'vitest';
import { topicMatches } from '../../electron/core/sources/topic-filter.ts';

describe('topicMatches', () => {
  it.each([
    ['alerts/kitchen', 'alerts/kitchen'],
    ['a/b/c', 'a/b/c'],
    ['/leading', '/leading'],
  ])('matches the exact filter %s', (filter, topic) => {
    expect(topicMatches(filter, topic)).toBe(true);
  });

  it.each([
    ['alerts/kitchen', 'alerts/Kitchen'],
    ['alerts/kitchen', 'alerts/kitchen/oven'],
    ['alerts/kitchen', 'alerts'],
    ['alerts/kitchen', 'alerts/kitchen/'],
    ['a/b', '/a/b'],
  ])('does not match %s against the different topic %s', (filter, topic) => {
    expect(topicMatches(filter, topic)).toBe(false);
  });

  describe('+ (one level)', () => {
    it.each([
      ['sport/tennis/+', 'sport/tennis/player1'],
      ['sport/+/player1', 'sport/tennis/player1'],
      ['+/+', '/finance'],
      ['/+', '/finance'],
      ['+', 'finance'],
      ['sport/+', 'sport/'],
      ['+/tennis/#', 'sport/tennis/player1/ranking'],
    ])('%s matches %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(true);
    });

    it.each([
      ['sport/tennis/+', 'sport/tennis/player1/ranking'],
      ['sport/tennis/+', 'sport/tennis'],
      ['sport/+', 'sport'],
      ['+', '/finance'],
      ['+/+', 'a/b/c'],
    ])('%s does not match %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(false);
    });
  });

  describe('# (any number of levels)', () => {
    it.each([
      ['sport/#', 'sport/tennis'],
      ['sport/#', 'sport/tennis/player1/ranking'],
      ['sport/tennis/#', 'sport/tennis/player1'],
      ['#', 'anything/at/all'],
      ['#', 'x'],
      ['#', '/'],
    ])('%s matches %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(true);
    });

    it('matches the parent level too', () => {
      expect(topicMatches('sport/#', 'sport')).toBe(true);
      expect(topicMatches('sport/tennis/#', 'sport/tennis')).toBe(true);
    });

    it.each([
      ['sport/#', 'sports'],
      ['sport/#', 'other/sport'],
      ['sport/tennis/#', 'sport'],
    ])('%s does not match %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(false);
    });
  });

  describe('topics starting with $', () => {
    it.each([
      ['#', '$SYS/broker/uptime'],
      ['+/broker/uptime', '$SYS/broker/uptime'],
      ['+/#', '$SYS/broker'],
      ['+', '$SYS'],
      ['#', '$internal'],
    ])('the wildcard filter %s does not match %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(false);
    });

    it.each([
      ['$SYS/#', '$SYS/broker/uptime'],
      ['$SYS/broker/+', '$SYS/broker/uptime'],
      ['$SYS/broker/uptime', '$SYS/broker/uptime'],
    ])('the filter %s, which names the $ level, matches %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(true);
    });
  });

  describe('shared subscriptions', () => {
    it.each([
      ['$share/group/alerts/#', 'alerts/kitchen'],
      ['$share/group/alerts/+', 'alerts/kitchen'],
      ['$share/g1/a/b', 'a/b'],
      ['$share/group/#', 'anything'],
    ])('%s matches %s as its filter', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(true);
    });

    it.each([
      ['$share/group/alerts/+', 'alerts/kitchen/oven'],
      ['$share/group/alerts/#', 'other'],
      ['$share/group/#', '$SYS/broker'],
      ['$share/group/a/b', 'group/a/b'],
      ['$share/group/a/b', '$share/group/a/b'],
    ])('%s does not match %s', (filter, topic) => {
      expect(topicMatches(filter, topic)).toBe(false);
    });
  });
});
