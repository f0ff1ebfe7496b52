<?php
/**
 * GET /wp-json/sluice/v1/models — the gateway's model list for the editor's model picker.
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
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
				'permission_callback' => static fn(): bool => current_user_can( 'edit_posts' ),
				'callback'            => array( $this, 'handle' ),
				'args'                => array(),
			)
		);
	}

	public function handle(): WP_REST_Response|WP_Error {
		$answer = $this->gateway->request( 'GET', '/v1/models', null, 15 );
		if ( is_wp_error( $answer ) ) {
			return $answer;
		}
		if ( ! $answer->ok() ) {
			return Gateway_Errors::from_gateway( $answer->status, $answer->body );
		}
		$list = $answer->json();
		if ( null === $list ) {
			return Gateway_Errors::unavailable( 'the gateway answered with something other than JSON' );
		}
		return new WP_REST_Response( $list, 200 );
	}
}
