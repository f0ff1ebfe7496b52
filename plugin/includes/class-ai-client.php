<?php
/**
 * Sluice in WordPress's AI Client (7.0+), feature-detected: where the AI Client
 * exists and wp_supports_ai() is true, on init (before core builds the
 * Connectors list at priority 15) Sluice registers its provider, the cap check
 * on every prompt (wp_ai_client_prevent_prompt), the meter of prompts other
 * providers answer (wp_ai_client_after_generate_result), and the connector's
 * sealed secret. On older WordPress none of this loads.
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\AiClient;

defined( 'ABSPATH' ) || exit;

final class Ai_Client {

	/** The Sluice provider's id (Ai_Provider), named here for code that runs on any WordPress. */
	public const PROVIDER_ID = 'sluice';

	public static function available(): bool {
		return function_exists( 'wp_ai_client_prompt' )
			&& function_exists( 'wp_supports_ai' )
			&& class_exists( AiClient::class );
	}

	public function register(): void {
		if ( self::available() ) {
			add_action( 'init', array( $this, 'on_init' ), 5 );
		}
	}

	public function on_init(): void {
		if ( ! wp_supports_ai() ) {
			return;
		}
		$registry = AiClient::defaultRegistry();
		if ( ! $registry->hasProvider( Ai_Provider::ID ) ) {
			$registry->registerProvider( Ai_Provider::class );
		}
		$settings = new Settings();
		$gateway  = new Gateway_Client( $settings );
		$guard    = new Ai_Spend_Guard( $gateway );
		add_filter( 'wp_ai_client_prevent_prompt', array( $guard, 'prevent' ) );
		add_action( 'wp_ai_client_after_generate_result', array( new Ai_Usage_Recorder( $gateway, $guard ), 'record' ) );
		( new Connector_Secret( $settings ) )->register();
	}
}
