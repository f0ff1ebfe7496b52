<?php
/**
 * Tells the admin when the chat's visitors seem to be one address: a proxy or
 * CDN in front of the site without the `sluice_visitor_ip` filter makes every
 * visitor one, with one rate limit and one daily allowance for all.
 *
 * Cheap on purpose: one small autoloaded option holds, per day, how many
 * anonymous chat requests came (counted up to MIN_REQUESTS), the first few
 * distinct visitor ids (already hashed: no address is stored), and the proxy
 * headers seen on requests from an internal address that the filter left
 * alone. It is written only when one of those changes, so a busy site writes it
 * a few dozen times a day at most. Two requests at the same instant may lose
 * one count; the check is a hint, not a ledger.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Shared_Address_Check {

	public const OPTION = 'sluice_visitor_sample';

	/** Requests from one address in a day before the check speaks up. */
	public const MIN_REQUESTS = 20;

	/** More than one visitor is all the check needs to know; a few are kept. */
	private const MAX_VISITORS = 5;

	private const WINDOW_SECONDS = DAY_IN_SECONDS;

	/** Headers that carry one address, in the order an example prefers them. */
	private const SINGLE_ADDRESS_HEADERS = array( 'CF-Connecting-IP', 'True-Client-IP', 'Fastly-Client-IP', 'X-Real-IP', 'X-Cluster-Client-IP' );

	/**
	 * Counts one anonymous chat request.
	 *
	 * @param string   $visitor_id    Visitor_Id::current().
	 * @param bool     $internal      Visitor_Id::from_internal_address().
	 * @param string[] $proxy_headers Visitor_Id::unused_proxy_headers().
	 */
	public function record( string $visitor_id, bool $internal, array $proxy_headers, ?int $now = null ): void {
		$raw     = $this->raw();
		$sample  = self::sample( $raw, $now ?? time() );
		$changed = $sample['since'] !== ( $raw['since'] ?? null );
		$visitor = substr( $visitor_id, 0, 19 );

		if ( $sample['requests'] < self::MIN_REQUESTS ) {
			++$sample['requests'];
			$changed = true;
		}
		if ( array() === $sample['visitors'] ) {
			$sample['internal'] = $internal;
		}
		if ( ! in_array( $visitor, $sample['visitors'], true ) && count( $sample['visitors'] ) < self::MAX_VISITORS ) {
			$sample['visitors'][] = $visitor;
			$changed              = true;
		}
		$new_headers = array_diff( $proxy_headers, $sample['headers'] );
		if ( array() !== $new_headers ) {
			$sample['headers'] = array_values( array_merge( $sample['headers'], $new_headers ) );
			$changed           = true;
		}
		if ( $changed ) {
			update_option( self::OPTION, $sample, true );
		}
	}

	/**
	 * What Settings → Sluice should say, if anything.
	 *
	 * @return array<int, array{code: string, message: string, example: string}>
	 */
	public function warnings( ?int $now = null ): array {
		$sample   = self::sample( $this->raw(), $now ?? time() );
		$previous = $sample['previous'];
		$headers  = array_values( array_unique( array_merge( $sample['headers'], $previous['headers'] ?? array() ) ) );
		$warnings = array();

		if ( array() !== $headers ) {
			$warnings[] = array(
				'code'    => 'proxy_headers_ignored',
				'message' => sprintf(
					/* translators: %s: header names, e.g. "X-Forwarded-For, CF-Connecting-IP". */
					__( 'Chat requests reach WordPress from a private or local address with %s headers: a proxy or CDN is in front of this site, and Sluice counts every visitor behind it as one (one rate limit and one daily allowance for all). If the proxy is yours or your CDN\'s, return the visitor\'s address from the sluice_visitor_ip filter, reading only a header that proxy sets (anyone can send one), for example in a small plugin:', 'sluice' ),
					implode( ', ', $headers )
				),
				'example' => self::filter_example( $headers ),
			);
			return $warnings;
		}

		$window = $sample['requests'] >= self::MIN_REQUESTS ? $sample : $previous;
		if ( null !== $window && $window['requests'] >= self::MIN_REQUESTS && 1 === count( $window['visitors'] ) ) {
			$warnings[] = array(
				'code'    => 'visitors_share_address',
				'message' => $window['internal']
					? sprintf(
						/* translators: %d: number of chat requests. */
						__( 'Over the past day, all chat requests from visitors (%d or more) came from one private or local address, as they do behind a proxy or CDN: Sluice counts every visitor as one (one rate limit and one daily allowance for all). If a proxy you trust passes the visitor\'s address in a header, return it from the sluice_visitor_ip filter, for example in a small plugin:', 'sluice' ),
						self::MIN_REQUESTS
					)
					: sprintf(
						/* translators: %d: number of chat requests. */
						__( 'Over the past day, all chat requests from visitors (%d or more) came from one address. If that is a proxy or CDN in front of this site, Sluice counts every visitor as one (one rate limit and one daily allowance for all): return the visitor\'s address from the sluice_visitor_ip filter, for example in a small plugin:', 'sluice' ),
						self::MIN_REQUESTS
					),
				'example' => self::filter_example( array() ),
			);
		}
		return $warnings;
	}

	public function forget(): void {
		delete_option( self::OPTION );
	}

	/**
	 * A sluice_visitor_ip filter that reads the visitor's address from a header seen.
	 *
	 * @param string[] $headers Proxy headers seen, e.g. ["CF-Connecting-IP"].
	 */
	public static function filter_example( array $headers ): string {
		foreach ( self::SINGLE_ADDRESS_HEADERS as $header ) {
			if ( in_array( $header, $headers, true ) ) {
				$key = 'HTTP_' . strtoupper( str_replace( '-', '_', $header ) );
				return "add_filter( 'sluice_visitor_ip', function ( \$ip ) {\n"
					. "\treturn \$_SERVER['{$key}'] ?? \$ip;\n"
					. "} );";
			}
		}
		return "add_filter( 'sluice_visitor_ip', function ( \$ip ) {\n"
			. "\t// The last address in X-Forwarded-For is the one your proxy saw.\n"
			. "\t\$forwarded = explode( ',', \$_SERVER['HTTP_X_FORWARDED_FOR'] ?? '' );\n"
			. "\treturn trim( end( \$forwarded ) ) ?: \$ip;\n"
			. "} );";
	}

	/** @return array<string, mixed> */
	private function raw(): array {
		$stored = get_option( self::OPTION, array() );
		return is_array( $stored ) ? $stored : array();
	}

	/**
	 * The sample of the day that $now falls in, the day before it as `previous`.
	 *
	 * @param array<string, mixed> $raw As stored.
	 * @return array{since: int, requests: int, visitors: string[], internal: bool, headers: string[], previous: array{requests: int, visitors: string[], internal: bool, headers: string[]}|null}
	 */
	private static function sample( array $raw, int $now ): array {
		$current  = self::window( $raw );
		$since    = is_int( $raw['since'] ?? null ) ? $raw['since'] : $now;
		$previous = is_array( $raw['previous'] ?? null ) ? self::window( $raw['previous'] ) : null;
		if ( $now - $since >= self::WINDOW_SECONDS ) {
			$previous = $now - $since < 2 * self::WINDOW_SECONDS ? $current : null;
			$current  = self::window( array() );
			$since    = $now;
		}
		return array_merge( array( 'since' => $since ), $current, array( 'previous' => $previous ) );
	}

	/**
	 * One day's counts, each field checked.
	 *
	 * @param array<string, mixed> $raw As stored.
	 * @return array{requests: int, visitors: string[], internal: bool, headers: string[]}
	 */
	private static function window( array $raw ): array {
		$strings = static fn( $list ): array => is_array( $list ) ? array_values( array_filter( $list, 'is_string' ) ) : array();
		return array(
			'requests' => is_int( $raw['requests'] ?? null ) ? $raw['requests'] : 0,
			'visitors' => $strings( $raw['visitors'] ?? null ),
			'internal' => true === ( $raw['internal'] ?? false ),
			'headers'  => $strings( $raw['headers'] ?? null ),
		);
	}
}
