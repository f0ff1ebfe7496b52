<?php
/**
 * The few functions other parts of the plugin call by name, e.g. the Chat block's
 * render.php. Everything else is a class in this folder.
 *
 * @package Sluice
 */

defined( 'ABSPATH' ) || exit;

/**
 * How the Chat block should ask for answers: "auto" (stream, fall back to
 * buffered on a host that buffers), "buffered", or "off" (chat switched off).
 */
function sluice_streaming_mode(): string {
	return ( new Sluice\Settings() )->streaming_mode();
}

/**
 * Where the Chat block asks for a direct-chat ticket: the ticket route's URL
 * when direct mode is in force (the browser then streams from the gateway
 * itself), '' in relay mode.
 */
function sluice_ticket_url(): string {
	return ( new Sluice\Direct_Mode( new Sluice\Settings() ) )->in_force() ? rest_url( 'sluice/v1/ticket' ) : '';
}

/**
 * The site key the Chat block's Turnstile widget needs while Turnstile is on
 * (a site key and a secret both set), else ''.
 */
function sluice_turnstile_site_key(): string {
	return Sluice\Turnstile::page_site_key();
}

/**
 * Puts Cloudflare's Turnstile script on the page, deferred, for explicit
 * rendering: the Chat block's view script renders one widget per block and asks
 * it for a new token before each question. The `sluice_turnstile_script_url`
 * filter changes where the script comes from (the tests serve a local fake).
 */
function sluice_enqueue_turnstile(): void {
	$url      = 'https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit';
	$filtered = apply_filters( 'sluice_turnstile_script_url', $url );
	$src      = is_string( $filtered ) && '' !== $filtered ? $filtered : $url;
	// No version: Cloudflare asks that the script be loaded from its own URL, as is.
	wp_enqueue_script( 'sluice-turnstile', $src, array(), null, array( 'strategy' => 'defer', 'in_footer' => true ) ); // phpcs:ignore WordPress.WP.EnqueuedResourceParameters.MissingVersion
}
