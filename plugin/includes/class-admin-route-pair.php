<?php
/**
 * An administrators-only REST route with a read and an update: GET answers the
 * current state, POST/PUT/PATCH changes it. Both need `manage_options`.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Admin_Route_Pair {

	/**
	 * @param string                              $route_namespace The plugin's REST namespace.
	 * @param string                              $route           The route, e.g. '/settings'.
	 * @param callable                            $read            Answers a GET.
	 * @param callable                            $update          Answers a POST/PUT/PATCH.
	 * @param array<string, array<string, mixed>> $update_args     The update's argument schema.
	 */
	public static function register( string $route_namespace, string $route, callable $read, callable $update, array $update_args ): void {
		$can_manage = static fn(): bool => current_user_can( 'manage_options' );
		register_rest_route(
			$route_namespace,
			$route,
			array(
				array(
					'methods'             => WP_REST_Server::READABLE,
					'permission_callback' => $can_manage,
					'callback'            => $read,
					'args'                => array(),
				),
				array(
					'methods'             => WP_REST_Server::EDITABLE,
					'permission_callback' => $can_manage,
					'callback'            => $update,
					'args'                => $update_args,
				),
			)
		);
	}
}
