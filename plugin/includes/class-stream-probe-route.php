<?php
/**
 * GET /wp-json/sluice/v1/stream-probe — 10 events 150 ms apart, generated here,
 * so that the admin screen can tell whether this host streams or buffers.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Stream_Probe_Route {

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/stream-probe',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => static fn(): bool => current_user_can( 'manage_options' ),
				'callback'            => static fn(): Stream_Response => new Stream_Response( new Probe_Stream( 10, 150 ) ),
				'args'                => array(),
			)
		);
	}
}
