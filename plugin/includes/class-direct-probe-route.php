<?php
/**
 * The admin screen's test of direct mode (manage_options):
 *
 * - POST /wp-json/sluice/v1/direct-probe: a ticket, as the ticket route's, for a
 *   short test chat (one question, at most PROBE_MAX_TOKENS tokens, billed as
 *   any chat) to the direct streaming URL, whether direct mode is in force yet or
 *   not. The admin's browser streams it from the gateway as a visitor's would.
 * - POST /wp-json/sluice/v1/direct-probe/result {url, ok, detail}: what that
 *   browser found. Direct mode is in force once a test of the current URL, from
 *   this site's origin, worked (Direct_Mode); a failed one puts relay back.
 *   Answers the modes' part of the settings (Direct_Mode::to_public_array()).
 *
 * @package Sluice
 */

namespace Sluice;

use WP_Error;
use WP_REST_Request;
use WP_REST_Response;
use WP_REST_Server;

defined( 'ABSPATH' ) || exit;

final class Direct_Probe_Route {

	public const PROBE_MAX_TOKENS = 32;

	public function __construct(
		private Settings $settings,
		private Direct_Mode $direct,
		private Visitor_Id $visitor_id,
	) {
	}

	public function register( string $route_namespace ): void {
		$can_manage = static fn(): bool => current_user_can( 'manage_options' );
		register_rest_route(
			$route_namespace,
			'/direct-probe',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'permission_callback' => $can_manage,
				'callback'            => array( $this, 'ticket' ),
				'args'                => array(),
			)
		);
		register_rest_route(
			$route_namespace,
			'/direct-probe/result',
			array(
				'methods'             => WP_REST_Server::CREATABLE,
				'permission_callback' => $can_manage,
				'callback'            => array( $this, 'result' ),
				'args'                => array(
					'url'    => array(
						'type'     => 'string',
						'required' => true,
					),
					'ok'     => array(
						'type'     => 'boolean',
						'required' => true,
					),
					'detail' => array(
						'type'      => 'string',
						'default'   => '',
						'maxLength' => 500,
					),
				),
			)
		);
	}

	public function ticket(): WP_REST_Response|WP_Error {
		$url = $this->direct->chat_url();
		if ( '' === $url ) {
			return Ticket_Route::direct_off();
		}
		if ( ! $this->settings->is_configured() ) {
			return Gateway_Errors::not_configured();
		}
		$payload = array(
			'messages'   => array(
				array(
					'role'    => 'user',
					'content' => 'This is a test of direct streaming from the site\'s settings screen. Please answer in two short sentences.',
				),
			),
			'model'      => 'auto',
			'max_tokens' => self::PROBE_MAX_TOKENS,
			'stream'     => true,
			'user'       => $this->visitor_id->current(),
		);
		return Ticket_Route::grant( $this->settings, $url, $payload );
	}

	public function result( WP_REST_Request $request ): WP_REST_Response|WP_Error {
		if ( (string) $request['url'] !== $this->direct->chat_url() ) {
			return Error_Codes::wp_error( Error_Codes::REST_INVALID_PARAM, __( 'The direct streaming URL changed during the test: test again.', 'sluice' ) );
		}
		$this->direct->record_check( (bool) $request['ok'], (string) $request['detail'] );
		return new WP_REST_Response( $this->direct->to_public_array(), 200 );
	}
}
