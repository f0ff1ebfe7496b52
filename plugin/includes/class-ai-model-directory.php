<?php
/**
 * The models the Sluice provider offers the AI Client: "auto" (the gateway picks
 * the best model that fits the caps), then the gateway's /v1/models, which lists
 * only what the site's allowlist lets through. Cached for a few minutes.
 *
 * @package Sluice
 */

namespace Sluice;

use WordPress\AiClient\Common\Exception\InvalidArgumentException;
use WordPress\AiClient\Messages\Enums\ModalityEnum;
use WordPress\AiClient\Providers\Contracts\ModelMetadataDirectoryInterface;
use WordPress\AiClient\Providers\Models\DTO\ModelMetadata;
use WordPress\AiClient\Providers\Models\DTO\SupportedOption;
use WordPress\AiClient\Providers\Models\Enums\CapabilityEnum;
use WordPress\AiClient\Providers\Models\Enums\OptionEnum;

defined( 'ABSPATH' ) || exit;

final class Ai_Model_Directory implements ModelMetadataDirectoryInterface {

	public const TRANSIENT = Spend_Status::AI_MODELS_TRANSIENT;
	private const TTL      = 5 * MINUTE_IN_SECONDS;
	private const TIMEOUT  = 5;

	/** @var array<string, ModelMetadata>|null */
	private ?array $models = null;

	public function __construct( private Gateway_Client $gateway ) {
	}

	/** @return list<ModelMetadata> */
	public function listModelMetadata(): array {
		return array_values( $this->models() );
	}

	public function hasModelMetadata( string $model_id ): bool {
		return isset( $this->models()[ $model_id ] );
	}

	public function getModelMetadata( string $model_id ): ModelMetadata {
		$models = $this->models();
		if ( ! isset( $models[ $model_id ] ) ) {
			throw new InvalidArgumentException( sprintf( 'Sluice offers no model "%s" to this site.', esc_html( $model_id ) ) );
		}
		return $models[ $model_id ];
	}

	/** @return array<string, ModelMetadata> */
	private function models(): array {
		if ( null === $this->models ) {
			$this->models = array();
			foreach ( array_merge( array( 'auto' ), $this->gateway_model_ids() ) as $id ) {
				$this->models[ $id ] = self::metadata( $id );
			}
		}
		return $this->models;
	}

	/**
	 * The ids the gateway lists for this site ("openai/gpt-4o-mini"), [] when it cannot be asked.
	 *
	 * @return list<string>
	 */
	private function gateway_model_ids(): array {
		$cached = get_transient( self::TRANSIENT );
		if ( is_array( $cached ) ) {
			return array_values( array_filter( $cached, 'is_string' ) );
		}
		if ( ! $this->gateway->is_configured() ) {
			return array();
		}
		$answer = $this->gateway->json( 'GET', '/v1/models', null, self::TIMEOUT );
		$ids    = array();
		if ( ! is_wp_error( $answer ) && is_array( $answer['data'] ?? null ) ) {
			foreach ( $answer['data'] as $model ) {
				if ( is_array( $model ) && is_string( $model['id'] ?? null ) ) {
					$ids[] = $model['id'];
				}
			}
		}
		// An unreachable gateway is remembered briefly too: prompts must not wait on it each time.
		set_transient( self::TRANSIENT, $ids, is_wp_error( $answer ) ? MINUTE_IN_SECONDS : self::TTL );
		return $ids;
	}

	/** Text in, text out; the options the gateway's chat takes (others make the AI Client pick another model). */
	private static function metadata( string $id ): ModelMetadata {
		$name = 'auto' === $id ? __( 'Sluice (the best model within the caps)', 'sluice' ) : 'Sluice: ' . $id;
		return new ModelMetadata(
			$id,
			$name,
			array( CapabilityEnum::textGeneration(), CapabilityEnum::chatHistory() ),
			array(
				new SupportedOption( OptionEnum::inputModalities(), array( array( ModalityEnum::text() ) ) ),
				new SupportedOption( OptionEnum::outputModalities(), array( array( ModalityEnum::text() ) ) ),
				new SupportedOption( OptionEnum::systemInstruction() ),
				new SupportedOption( OptionEnum::maxTokens() ),
				new SupportedOption( OptionEnum::temperature() ),
				new SupportedOption( OptionEnum::candidateCount(), array( 1 ) ),
			)
		);
	}
}
