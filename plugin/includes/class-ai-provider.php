<?php
/**
 * Sluice as a provider of WordPress's AI Client (WordPress 7.0+): any plugin's
 * wp_ai_client_prompt() can be answered by the gateway, signed, capped, priced
 * and in the ledger. Loaded only where the AI Client exists (Ai_Client).
 *
 * Its connector (Settings → Connectors) is the one core makes for an AI Client
 * provider with an API key: the key is the site secret (Connector_Secret keeps it
 * sealed in the plugin's own option).
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\Providers\AbstractProvider;
use WordPress\AiClient\Providers\Contracts\ModelMetadataDirectoryInterface;
use WordPress\AiClient\Providers\Contracts\ProviderAvailabilityInterface;
use WordPress\AiClient\Providers\DTO\ProviderMetadata;
use WordPress\AiClient\Providers\Enums\ProviderTypeEnum;
use WordPress\AiClient\Providers\Http\Enums\RequestAuthenticationMethod;
use WordPress\AiClient\Providers\Models\Contracts\ModelInterface;
use WordPress\AiClient\Providers\Models\DTO\ModelMetadata;

defined( 'ABSPATH' ) || exit;

final class Ai_Provider extends AbstractProvider {

	public const ID = Ai_Client::PROVIDER_ID;

	protected static function createModel( ModelMetadata $model_metadata, ProviderMetadata $provider_metadata ): ModelInterface {
		return new Ai_Model( $model_metadata, $provider_metadata, new Gateway_Client( new Settings() ) );
	}

	protected static function createProviderMetadata(): ProviderMetadata {
		return new ProviderMetadata(
			self::ID,
			'Sluice',
			ProviderTypeEnum::server(),
			// No credentials URL: the secret comes from the gateway's `sluice site add`, not a web page
			// (core would word a link "Get your API key at <this site's host>").
			null,
			RequestAuthenticationMethod::apiKey(),
			self::description( new Settings() )
		);
	}

	/** What the Connectors card says, with the gateway and site in use once they are set. */
	private static function description( Settings $settings ): string {
		$about = __( 'Every AI call of this site through your Sluice gateway, with spend caps and a ledger. The API key is the site secret, or the whole connection as GATEWAY_URL#SITE_ID:SECRET; caps and spend are on Settings → Sluice.', 'sluice' );
		if ( '' === $settings->gateway_url() || '' === $settings->site_id() ) {
			return $about;
		}
		/* translators: 1: the gateway's URL, 2: this site's id on the gateway. */
		return $about . ' ' . sprintf( __( 'Gateway: %1$s, site %2$s.', 'sluice' ), $settings->gateway_url(), $settings->site_id() );
	}

	protected static function createProviderAvailability(): ProviderAvailabilityInterface {
		return new Ai_Availability( new Settings() );
	}

	protected static function createModelMetadataDirectory(): ModelMetadataDirectoryInterface {
		return new Ai_Model_Directory( new Gateway_Client( new Settings() ) );
	}
}
