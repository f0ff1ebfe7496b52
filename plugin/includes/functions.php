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
