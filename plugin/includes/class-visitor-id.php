<?php
/**
 * An opaque id per visitor for rate limits here and per-visitor limits in the
 * gateway (sent as `user`): an HMAC of the IP address and user agent (or of the
 * user id for logged-in users) keyed with this site's salt. The raw IP never
 * leaves this class, and the id cannot be reversed or linked across sites.
 *
 * Format: "wp." + 40 hex digits, within the gateway's 8-128 of A-Za-z0-9._:-.
 *
 * @package Sluice
 */

namespace Sluice;

defined( 'ABSPATH' ) || exit;

final class Visitor_Id {

	public function current(): string {
		$user_id = get_current_user_id();
		$subject = $user_id > 0
			? 'user:' . $user_id
			: 'visitor:' . $this->ip_address() . '|' . $this->user_agent();
		return 'wp.' . substr( hash_hmac( 'sha256', $subject, wp_salt( 'nonce' ) . 'sluice-visitor' ), 0, 40 );
	}

	/**
	 * REMOTE_ADDR: forwarded-for headers can be forged by anyone. A site behind a
	 * trusted proxy or CDN returns the real client address from the
	 * `sluice_visitor_ip` filter.
	 */
	private function ip_address(): string {
		$address = isset( $_SERVER['REMOTE_ADDR'] ) ? sanitize_text_field( wp_unslash( $_SERVER['REMOTE_ADDR'] ) ) : '';
		return (string) apply_filters( 'sluice_visitor_ip', $address );
	}

	private function user_agent(): string {
		return isset( $_SERVER['HTTP_USER_AGENT'] ) ? sanitize_text_field( wp_unslash( $_SERVER['HTTP_USER_AGENT'] ) ) : '';
	}
}
