<?php
/**
 * GET /wp-json/sluice/v1/models — the gateway's model list for the editor's model
 * picker (the models this site may use). With all=1, for admins: the whole
 * catalogue of the gateway's configured providers with prices and an `allowed`
 * flag, for the admin screen's allowlist picker.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Models_Route {

	public function __construct( private Gateway_Client $gateway ) {
	}

	public function register( string $route_namespace ): void {
		register_rest_route(
			$route_namespace,
			'/models',
			array(
				'methods'             => WP_REST_Server::READABLE,
				'permission_callback' => array( self::class, 'can_read' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(
					'all' => array(
						'type'        => 'boolean',
						'default'     => false,
						'description' => __( 'The whole catalogue with an "allowed" flag (administrators only).', 'sluice' ),
					),
				),
			)
		);
	}

	/** Editors may list the allowed models; only administrators see the whole catalogue. */
	public static function can_read( WP_REST_Request $request ): bool {
		return current_user_can( rest_sanitize_boolean( $request->get_param( 'all' ) ) ? 'manage_options' : 'edit_posts' );
	}

	public function handle( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		$path = rest_sanitize_boolean( $request->get_param( 'all' ) ) ? '/v1/models?all=1' : '/v1/models';
		$list = $this->gateway->json( 'GET', $path );
		return is_wp_error( $list ) ? $list : new WP_REST_Response( $list, 200 );
	}
}
