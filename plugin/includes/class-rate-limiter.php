<?php
/**
 * A sliding one-minute window of chat requests per visitor, kept in a transient
 * (the object cache where the site has one). Two requests at the same instant
 * may both pass; the limit is a brake on abuse, the gateway's caps are the hard stop.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Rate_Limiter {

	public const TRANSIENT_PREFIX = 'sluice_rl_';
	private const WINDOW_SECONDS  = 60;

	/**
	 * Counts one request. Returns 0 when it is allowed, else the seconds to wait.
	 *
	 * @param string $visitor_id Visitor_Id::current().
	 * @param int    $limit      Requests per minute; 0 means no limit.
	 */
	public function hit( string $visitor_id, int $limit, ?int $now = null ): int {
		if ( $limit <= 0 ) {
			return 0;
		}
		$now    = $now ?? time();
		$key    = self::TRANSIENT_PREFIX . md5( $visitor_id );
		$stored = get_transient( $key );
		$recent = array_values(
			array_filter(
				is_array( $stored ) ? $stored : array(),
				static fn( $at ): bool => is_int( $at ) && $at > $now - self::WINDOW_SECONDS
			)
		);
		if ( count( $recent ) >= $limit ) {
			sort( $recent );
			$oldest_counted = $recent[ count( $recent ) - $limit ];
			return max( 1, $oldest_counted + self::WINDOW_SECONDS - $now );
		}
		$recent[] = $now;
		set_transient( $key, array_slice( $recent, -$limit ), self::WINDOW_SECONDS );
		return 0;
	}
}
